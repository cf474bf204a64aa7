# A complete linkpulse deployment: every knob of the root module set explicitly, the
# opt-in extras on (X-Ray tracing, a customer-managed KMS key, point-in-time recovery:
# see docs/deploy-aws.md for what each costs), and the alarms (alarms.tf) wired to an
# SNS topic, encrypted with the stack's key, that e-mails the on-call address.
#
#   linkpulse package --output dist/linkpulse-lambda.zip      # from the repository root
#   cd infra/terraform/examples/complete
#   terraform init && terraform apply -var alarm_email=oncall@example.com

provider "aws" {
  region = var.region

  default_tags {
    tags = { Environment = var.environment }
  }
}

module "linkpulse" {
  source = "../../"

  name          = var.name
  artifact_path = "${path.module}/../../../../dist/linkpulse-lambda.zip"

  lambda_runtime          = "python3.12"
  lambda_architecture     = "x86_64"
  lambda_tracing_mode     = "Active"
  lambda_log_format       = "JSON"
  lambda_system_log_level = "WARN"
  api_memory_size         = 256
  api_timeout             = 10
  analytics_memory_size   = 256
  analytics_timeout       = 30

  analytics_batch_size              = 1000
  analytics_batching_window_seconds = 300
  analytics_maximum_concurrency     = null

  analytics_reserved_concurrent_executions = -1

  links_table_name               = "${var.name}-links"
  clicks_table_name              = "${var.name}-clicks"
  point_in_time_recovery_enabled = true
  deletion_protection_enabled    = false
  click_retention_days           = 90

  queue_name                       = "${var.name}-clicks"
  queue_visibility_timeout_seconds = 480
  queue_message_retention_seconds  = 345600
  dlq_name                         = "${var.name}-clicks-dlq"
  dlq_max_receive_count            = 5
  dlq_message_retention_seconds    = 1209600
  alarm_sns_topic_arn              = aws_sns_topic.alarms.arn

  alarm_queue_age_threshold_seconds = 60
  alarm_error_ratio_threshold       = 0.01
  alarm_error_ratio_period_seconds  = 300

  cors_allow_origins         = var.cors_allow_origins
  base_url                   = ""
  api_throttling_burst_limit = 200
  api_throttling_rate_limit  = 100
  # Replaces the default map: routes left out get the two limits above.
  api_route_throttling = {
    "POST /shorten"              = { burst_limit = 20, rate_limit = 5 }
    "POST /api/v1/links"         = { burst_limit = 20, rate_limit = 5 }
    "PATCH /api/v1/links/{code}" = { burst_limit = 10, rate_limit = 5 }
  }
  create_rate_limit = "30/minute"

  log_level                         = "INFO"
  cloudwatch_logs_retention_in_days = 14
  customer_managed_key_enabled      = true
  kms_key_deletion_window_in_days   = 7

  tags = { Example = "complete" }
}

# Encrypted with the stack's key, whose policy lets CloudWatch alarms publish to it.
resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = module.linkpulse.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}
