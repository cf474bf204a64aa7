output "api_url" {
  description = "Base URL of the API, without a trailing slash: POST $api_url/shorten, GET $api_url/<code>, GET $api_url/stats/<code>."
  value       = module.api_gateway.api_endpoint
}

output "function_names" {
  description = "Lambda function names keyed by role (shortener, redirect, analytics, stats)."
  value = {
    shortener = module.shortener.function_name
    redirect  = module.redirect.function_name
    analytics = module.analytics.function_name
    stats     = module.stats.function_name
  }
}

output "log_group_names" {
  description = "CloudWatch log groups of the functions and of the API access log."
  value = [
    module.shortener.log_group_name,
    module.redirect.log_group_name,
    module.analytics.log_group_name,
    module.stats.log_group_name,
    module.api_gateway.access_log_group_name,
  ]
}

output "links_table_name" {
  description = "Name of the DynamoDB links table."
  value       = module.dynamodb.links_table_name
}

output "clicks_table_name" {
  description = "Name of the DynamoDB click analytics table."
  value       = module.dynamodb.clicks_table_name
}

output "queue_url" {
  description = "URL of the SQS click queue."
  value       = module.sqs.queue_url
}

output "dlq_url" {
  description = "URL of the dead-letter queue (inspect with `linkpulse dlq list --backend aws`)."
  value       = module.sqs.dlq_url
}

output "dlq_alarm_arn" {
  description = "ARN of the alarm on the dead-letter queue's depth."
  value       = module.sqs.dlq_alarm_arn
}

output "kms_key_arn" {
  description = "ARN of the stack's customer-managed KMS key (tables, function environments, log groups), or null when customer_managed_key_enabled is false."
  value       = local.kms_key_arn
}
