# One Lambda function with its own role, its own log group and only the permissions listed
# in `policy_statements`. All linkpulse functions share one artifact; `handler` picks the
# entry point.

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = coalesce(var.role_name, var.function_name)
  description        = "Execution role of the ${var.function_name} function."
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

# Created here (not by Lambda on first run) so it has a retention period and a key.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:A customer-managed key is opt-in (cloudwatch_logs_kms_key_arn, set by customer_managed_key_enabled); by default CloudWatch Logs encrypts log data itself at no charge.
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): function logs carry request metadata (IPs, user agents); keeping them a year contradicts data minimisation, and analytics live in DynamoDB, not in logs.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.cloudwatch_logs_retention_in_days
  kms_key_id        = var.cloudwatch_logs_kms_key_arn

  tags = var.tags
}

# One inline policy: AWSLambdaBasicExecutionRole scoped to this function's own log group
# (the managed policy allows every log group in the account; the group exists, so no
# logs:CreateLogGroup), then what the function's code calls, on only what it touches.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }

  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid       = join("", [for part in split("_", statement.key) : title(part)])
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# X-Ray segments, only when tracing is Active: xray:PutTraceSegments/PutTelemetryRecords
# have no resource-level permissions, so the AWS managed policy is as narrow as it gets.
resource "aws_iam_role_policy_attachment" "tracing" {
  count = var.tracing_mode == "Active" ? 1 : 0

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway or by the SQS event source mapping; neither uses the function's async DLQ (failed clicks go to the SQS queue's redrive DLQ).
  #checkov:skip=CKV_AWS_117:The functions only call DynamoDB and SQS public endpoints with IAM auth; a VPC would add NAT/endpoint cost and cold-start latency for no private resource.
  #checkov:skip=CKV_AWS_173:Environment variables hold table and queue names, no secrets; a customer-managed key for them is opt-in (kms_key_arn), Lambda encrypts them with an AWS-owned key by default.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile outside this stack; the artifact is built by CI from the tagged source and its hash is pinned by source_code_hash.
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  filename                       = var.artifact_path
  source_code_hash               = filebase64sha256(var.artifact_path)
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = var.environment_variables
  }

  logging_config {
    log_format       = var.log_format
    log_group        = aws_cloudwatch_log_group.this.name
    system_log_level = var.log_format == "JSON" ? var.system_log_level : null
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}
