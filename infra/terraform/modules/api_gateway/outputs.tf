output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the API's $default stage, without a trailing slash (https://<id>.execute-api.<region>.amazonaws.com)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_execution_arn" {
  description = "Execution ARN of the API (prefix of the source ARN in invoke permissions)."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_invoke_url" {
  description = "Invoke URL of the $default stage (ends with a slash)."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "route_ids" {
  description = "Route IDs keyed by route key."
  value       = { for key, route in aws_apigatewayv2_route.this : key => route.id }
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}
