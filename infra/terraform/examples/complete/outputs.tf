output "api_url" {
  description = "Base URL of the deployed API."
  value       = module.linkpulse.api_url
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = module.linkpulse.dlq_url
}

output "alarm_topic_arn" {
  description = "SNS topic that receives the dead-letter alarm."
  value       = aws_sns_topic.alarms.arn
}
