# linkpulse on AWS: HTTP API v2 -> four Lambda functions (one artifact) -> DynamoDB, with
# clicks flowing redirect -> SQS -> analytics (partial batch failure, DLQ after N receives).
#
# Every role lists exactly what its code calls (tests/infra and the AWS helper's IAM
# coverage test parse the `policy_statements` below; keep them literal references).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  tags = merge({ Application = var.name }, var.tags)

  # The stack's customer-managed key, or null: AWS-owned keys (free) encrypt everything.
  kms_key_arn = one(aws_kms_key.this[*].arn)

  # Settings every function reads (linkpulse.settings.Settings.from_env).
  environment_variables = merge(
    {
      LINKPULSE_BACKEND              = "aws"
      LINKPULSE_REGION               = local.region
      LINKPULSE_LINKS_TABLE          = module.dynamodb.links_table_name
      LINKPULSE_CLICKS_TABLE         = module.dynamodb.clicks_table_name
      LINKPULSE_QUEUE_URL            = module.sqs.queue_url
      LINKPULSE_QUEUE_NAME           = module.sqs.queue_name
      LINKPULSE_DLQ_NAME             = module.sqs.dlq_name
      LINKPULSE_DLQ_URL              = module.sqs.dlq_url
      LINKPULSE_MAX_RECEIVE_COUNT    = tostring(var.dlq_max_receive_count)
      LINKPULSE_QUEUE_RETENTION_SECONDS = tostring(var.queue_message_retention_seconds)
      LINKPULSE_DLQ_RETENTION_SECONDS   = tostring(var.dlq_message_retention_seconds)
      LINKPULSE_CLICK_RETENTION_DAYS = tostring(var.click_retention_days)
      LINKPULSE_CORS_ORIGINS         = join(",", var.cors_allow_origins)
      LINKPULSE_CREATE_RATE_LIMIT    = var.create_rate_limit
      POWERTOOLS_SERVICE_NAME        = "linkpulse"
      POWERTOOLS_LOG_LEVEL           = var.log_level
    },
    var.base_url == "" ? {} : { LINKPULSE_BASE_URL = var.base_url },
  )

  # The public API, one line per route: route key => the function that answers it.
  routes = {
    "POST /shorten"     = "shortener"
    "GET /{code}"       = "redirect"
    "HEAD /{code}"      = "redirect" # answers like GET without counting a click
    "GET /stats/{code}" = "stats"
    "GET /api/v1/events" = "stats" # a cursor poll of one link's clicks (no streaming here)
    # Everything no other route matches (unknown paths, wrong methods) gets the same
    # JSON 404/405 as the embedded server, from the redirect function's resolver.
    "$default" = "redirect"
    # Link and key management (src/linkpulse/endpoints/links.py and keys.py).
    "POST /api/v1/links"          = "manage"
    "GET /api/v1/links"           = "manage"
    "GET /api/v1/links/{code}"    = "manage"
    "PATCH /api/v1/links/{code}"  = "manage"
    "DELETE /api/v1/links/{code}" = "manage"
    "GET /api/v1/links/{code}/qr" = "manage"
    "GET /api/v1/keys"            = "manage"
    "POST /api/v1/keys"           = "manage"
    "DELETE /api/v1/keys/{name}"  = "manage"
  }

  functions = {
    shortener = { handler = "linkpulse.aws_lambda.shortener.handler", memory_size = var.api_memory_size, timeout = var.api_timeout }
    redirect  = { handler = "linkpulse.aws_lambda.redirect.handler", memory_size = var.api_memory_size, timeout = var.api_timeout }
    analytics = { handler = "linkpulse.aws_lambda.analytics.handler", memory_size = var.analytics_memory_size, timeout = var.analytics_timeout }
    stats     = { handler = "linkpulse.aws_lambda.stats.handler", memory_size = var.api_memory_size, timeout = var.api_timeout }
    manage    = { handler = "linkpulse.aws_lambda.manage.handler", memory_size = var.api_memory_size, timeout = var.api_timeout }
  }
}

################################################################################
# Encryption key (opt-in): DynamoDB tables, Lambda environment variables, log groups
################################################################################

resource "aws_kms_key" "this" {
  count = var.customer_managed_key_enabled ? 1 : 0

  description             = "${var.name}: DynamoDB tables, Lambda environment variables and log groups"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Without this the key could become unmanageable; IAM policies decide who administers it.
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # The pattern of the AWS managed keys aws/dynamodb and aws/lambda: principals of this
        # account may use the key only through DynamoDB and Lambda, so function roles need
        # no kms:* grant of their own to read the tables and their environment.
        Sid       = "AccountUsesKeyThroughDynamoDbAndLambda"
        Effect    = "Allow"
        Principal = { AWS = "*" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:CallerAccount" = local.account_id
            "kms:ViaService"    = ["dynamodb.${local.region}.amazonaws.com", "lambda.${local.region}.amazonaws.com"]
          }
        }
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisStacksLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = [
              "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name}-*",
              "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${var.name}/*",
            ]
          }
        }
      },
      {
        # Lets the DLQ alarm publish to an SNS topic encrypted with this key.
        Sid       = "CloudWatchAlarmsPublishToEncryptedTopics"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })

  tags = local.tags
}

resource "aws_kms_alias" "this" {
  count = var.customer_managed_key_enabled ? 1 : 0

  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this[0].key_id
}

################################################################################
# Storage and queue
################################################################################

module "dynamodb" {
  source = "./modules/dynamodb"

  links_table_name                   = var.links_table_name
  clicks_table_name                  = var.clicks_table_name
  point_in_time_recovery_enabled     = var.point_in_time_recovery_enabled
  deletion_protection_enabled        = var.deletion_protection_enabled
  server_side_encryption_kms_key_arn = local.kms_key_arn

  tags = local.tags
}

module "sqs" {
  source = "./modules/sqs"

  name                          = var.queue_name
  visibility_timeout_seconds    = var.queue_visibility_timeout_seconds
  consumer_timeout_seconds      = var.analytics_timeout
  consumer_batching_window      = var.analytics_batching_window_seconds
  message_retention_seconds     = var.queue_message_retention_seconds
  receive_wait_time_seconds     = 20
  dlq_name                      = var.dlq_name
  dlq_max_receive_count         = var.dlq_max_receive_count
  dlq_message_retention_seconds = var.dlq_message_retention_seconds
  dlq_alarm_sns_topic_arn       = var.alarm_sns_topic_arn

  tags = local.tags
}

################################################################################
# Functions: one artifact, four handlers, four roles
################################################################################

module "shortener" {
  source = "./modules/lambda"

  function_name = "${var.name}-shortener"
  description   = "POST /shorten: validates the URL and stores the link under a fresh code."
  handler       = local.functions.shortener.handler
  memory_size   = local.functions.shortener.memory_size
  timeout       = local.functions.shortener.timeout

  policy_statements = {
    # PutItem: the new link; GetItem/UpdateItem: check the caller's API key, note its use.
    links_write = {
      # GetItem: the caller's API key and the domain blocklist item; UpdateItem: the key's
      # last use.
      actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]
      resources = [module.dynamodb.links_table_arn]
    }
  }

  runtime                           = var.lambda_runtime
  tracing_mode                      = var.lambda_tracing_mode
  architecture                      = var.lambda_architecture
  artifact_path                     = var.artifact_path
  environment_variables             = local.environment_variables
  log_format                        = var.lambda_log_format
  system_log_level                  = var.lambda_system_log_level
  kms_key_arn                       = local.kms_key_arn
  cloudwatch_logs_retention_in_days = var.cloudwatch_logs_retention_in_days
  cloudwatch_logs_kms_key_arn       = local.kms_key_arn
  tags                              = local.tags
}

module "redirect" {
  source = "./modules/lambda"

  function_name = "${var.name}-redirect"
  description   = "GET/HEAD /{code}: 302 to the long URL (GET also queues one click); JSON 404/405 for unmatched routes."
  handler       = local.functions.redirect.handler
  memory_size   = local.functions.redirect.memory_size
  timeout       = local.functions.redirect.timeout

  policy_statements = {
    links_read = {
      actions   = ["dynamodb:GetItem"]
      resources = [module.dynamodb.links_table_arn]
    }
    # The first click of a UTC day replaces the "!visitor-salt" item (conditional put).
    visitor_salt = {
      actions   = ["dynamodb:PutItem"]
      resources = [module.dynamodb.links_table_arn]
    }
    clicks_send = {
      actions   = ["sqs:SendMessage"]
      resources = [module.sqs.queue_arn]
    }
  }

  runtime                           = var.lambda_runtime
  tracing_mode                      = var.lambda_tracing_mode
  architecture                      = var.lambda_architecture
  artifact_path                     = var.artifact_path
  environment_variables             = local.environment_variables
  log_format                        = var.lambda_log_format
  system_log_level                  = var.lambda_system_log_level
  kms_key_arn                       = local.kms_key_arn
  cloudwatch_logs_retention_in_days = var.cloudwatch_logs_retention_in_days
  cloudwatch_logs_kms_key_arn       = local.kms_key_arn
  tags                              = local.tags
}

module "analytics" {
  source = "./modules/lambda"

  function_name = "${var.name}-analytics"
  description   = "SQS consumer: records click batches exactly once (click rows + aggregates), reports partial failures."
  handler       = local.functions.analytics.handler
  memory_size   = local.functions.analytics.memory_size
  timeout       = local.functions.analytics.timeout

  policy_statements = {
    clicks_write = {
      actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"]
      resources = [module.dynamodb.clicks_table_arn]
    }
    # Used by the Lambda service's event source mapping, not by the function's code.
    event_source_mapping = {
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      resources = [module.sqs.queue_arn]
    }
  }

  reserved_concurrent_executions    = var.analytics_reserved_concurrent_executions
  runtime                           = var.lambda_runtime
  tracing_mode                      = var.lambda_tracing_mode
  architecture                      = var.lambda_architecture
  artifact_path                     = var.artifact_path
  environment_variables             = local.environment_variables
  log_format                        = var.lambda_log_format
  system_log_level                  = var.lambda_system_log_level
  kms_key_arn                       = local.kms_key_arn
  cloudwatch_logs_retention_in_days = var.cloudwatch_logs_retention_in_days
  cloudwatch_logs_kms_key_arn       = local.kms_key_arn
  tags                              = local.tags
}

module "stats" {
  source = "./modules/lambda"

  function_name = "${var.name}-stats"
  description   = "GET /stats/{code}: the link plus its pre-aggregated analytics."
  handler       = local.functions.stats.handler
  memory_size   = local.functions.stats.memory_size
  timeout       = local.functions.stats.timeout

  policy_statements = {
    # GetItem: the link and the caller's API key; UpdateItem: when the key was last used.
    links_read = {
      actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
      resources = [module.dynamodb.links_table_arn]
    }
    clicks_read = {
      actions   = ["dynamodb:Query", "dynamodb:BatchGetItem"]
      resources = [module.dynamodb.clicks_table_arn]
    }
  }

  runtime                           = var.lambda_runtime
  tracing_mode                      = var.lambda_tracing_mode
  architecture                      = var.lambda_architecture
  artifact_path                     = var.artifact_path
  environment_variables             = local.environment_variables
  log_format                        = var.lambda_log_format
  system_log_level                  = var.lambda_system_log_level
  kms_key_arn                       = local.kms_key_arn
  cloudwatch_logs_retention_in_days = var.cloudwatch_logs_retention_in_days
  cloudwatch_logs_kms_key_arn       = local.kms_key_arn
  tags                              = local.tags
}

module "manage" {
  source = "./modules/lambda"

  function_name = "${var.name}-manage"
  description   = "/api/v1: list, read, edit and delete links, their QR codes; create, list and revoke API keys."
  handler       = local.functions.manage.handler
  memory_size   = local.functions.manage.memory_size
  timeout       = local.functions.manage.timeout

  policy_statements = {
    # Links and keys (one table): read, create, edit, list (a key's links through the
    # by_owner index, an admin's by a scan), the key directory's batch read.
    links_manage = {
      actions = [
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Scan",
        "dynamodb:BatchGetItem",
      ]
      resources = [module.dynamodb.links_table_arn]
    }
    links_by_owner = {
      actions   = ["dynamodb:Query"]
      resources = ["${module.dynamodb.links_table_arn}/index/by_owner"]
    }
    # Each listed link's click totals, summed over its slot counter items.
    clicks_totals = {
      actions   = ["dynamodb:Query"]
      resources = [module.dynamodb.clicks_table_arn]
    }
  }

  runtime                           = var.lambda_runtime
  tracing_mode                      = var.lambda_tracing_mode
  architecture                      = var.lambda_architecture
  artifact_path                     = var.artifact_path
  environment_variables             = local.environment_variables
  log_format                        = var.lambda_log_format
  system_log_level                  = var.lambda_system_log_level
  kms_key_arn                       = local.kms_key_arn
  cloudwatch_logs_retention_in_days = var.cloudwatch_logs_retention_in_days
  cloudwatch_logs_kms_key_arn       = local.kms_key_arn
  tags                              = local.tags
}

# Clicks: SQS -> analytics, in batches of what arrives within the batching window (up to
# analytics_batch_size); failed messages are reported one by one (batchItemFailures) so
# the rest of the batch is committed and not redelivered.
resource "aws_lambda_event_source_mapping" "analytics" {
  event_source_arn                   = module.sqs.queue_arn
  function_name                      = module.analytics.function_arn
  batch_size                         = var.analytics_batch_size
  maximum_batching_window_in_seconds = var.analytics_batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  # Only with a cap: a cap keeps 5 pollers at low traffic instead of 2.
  dynamic "scaling_config" {
    for_each = var.analytics_maximum_concurrency == null ? [] : [var.analytics_maximum_concurrency]

    content {
      maximum_concurrency = scaling_config.value
    }
  }

  # The mapping is validated against the role when it is created.
  depends_on = [module.analytics]

  lifecycle {
    precondition {
      # Raw click rows are the deduplication keys: a click redelivered from the queue or
      # redriven from the DLQ must still find its row, or it would be counted twice.
      condition     = var.click_retention_days * 86400 >= var.queue_message_retention_seconds + var.dlq_message_retention_seconds
      error_message = "click_retention_days must cover queue_message_retention_seconds + dlq_message_retention_seconds."
    }
    precondition {
      # SQS event source mappings refuse batches above 10 without a batching window.
      condition     = var.analytics_batch_size <= 10 || var.analytics_batching_window_seconds > 0
      error_message = "analytics_batch_size above 10 needs analytics_batching_window_seconds > 0."
    }
  }
}

################################################################################
# HTTP API
################################################################################

module "api_gateway" {
  source = "./modules/api_gateway"

  name        = var.name
  description = "linkpulse public API v1: shorten, redirect, stats."

  functions = {
    shortener = { function_name = module.shortener.function_name, invoke_arn = module.shortener.invoke_arn }
    redirect  = { function_name = module.redirect.function_name, invoke_arn = module.redirect.invoke_arn }
    stats     = { function_name = module.stats.function_name, invoke_arn = module.stats.invoke_arn }
    manage    = { function_name = module.manage.function_name, invoke_arn = module.manage.invoke_arn }
  }
  routes = local.routes

  cors_allow_origins           = var.cors_allow_origins
  throttling_burst_limit       = var.api_throttling_burst_limit
  throttling_rate_limit        = var.api_throttling_rate_limit
  route_throttling             = var.api_route_throttling
  access_log_retention_in_days = var.cloudwatch_logs_retention_in_days
  access_log_kms_key_arn       = local.kms_key_arn

  tags = local.tags
}
