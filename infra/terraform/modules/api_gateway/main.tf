# HTTP API (v2) in front of Lambda functions: one proxy integration and one invoke
# permission per function (whatever its number of routes), payload format 2.0, CORS
# answered by API Gateway, an auto-deployed $default stage with JSON access logs.

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = var.description
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins  = var.cors_allow_origins
    allow_methods  = var.cors_allow_methods
    allow_headers  = var.cors_allow_headers
    expose_headers = var.cors_expose_headers
    max_age        = var.cors_max_age
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = alltrue([for function in values(var.routes) : contains(keys(var.functions), function)])
      error_message = "Every route must name one of var.functions."
    }
  }
}

resource "aws_apigatewayv2_integration" "this" {
  for_each = var.functions

  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = each.value.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = var.integration_timeout_milliseconds
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:The v1 public API is unauthenticated by contract (anyone may shorten, follow and read stats); abuse is bounded by stage throttling and input limits.
  for_each = var.routes

  api_id    = aws_apigatewayv2_api.this.id
  route_key = each.key
  target    = "integrations/${aws_apigatewayv2_integration.this[each.value].id}"
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:A customer-managed key is opt-in (access_log_kms_key_arn, set by customer_managed_key_enabled); by default CloudWatch Logs encrypts log data itself at no charge.
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): access logs hold client IPs; keeping them a year contradicts data minimisation, and analytics live in DynamoDB, not in logs.
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.access_log_retention_in_days
  kms_key_id        = var.access_log_kms_key_arn

  tags = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTimeEpoch"
      sourceIp           = "$context.identity.sourceIp"
      httpMethod         = "$context.httpMethod"
      routeKey           = "$context.routeKey"
      path               = "$context.path"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      errorMessage       = "$context.error.message"
    })
  }

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  # Tighter limits for the routes that write (creation, management): API Gateway answers
  # 429 before any function runs, so a flood costs neither invocations nor writes.
  dynamic "route_settings" {
    for_each = var.route_throttling

    content {
      route_key              = route_settings.key
      throttling_burst_limit = route_settings.value.burst_limit
      throttling_rate_limit  = route_settings.value.rate_limit
    }
  }

  tags = var.tags

  # A route's settings can only be set once the route exists.
  depends_on = [aws_apigatewayv2_route.this]

  lifecycle {
    precondition {
      condition     = alltrue([for key in keys(var.route_throttling) : contains(keys(var.routes), key)])
      error_message = "Every route_throttling key must be a route key of var.routes."
    }
  }
}

# Each function may be invoked by this API only (any stage, any of its routes).
resource "aws_lambda_permission" "this" {
  for_each = var.functions

  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*"
}
