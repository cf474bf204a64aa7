output "queue_arn" {
  description = "ARN of the click queue."
  value       = aws_sqs_queue.this.arn
}

output "queue_url" {
  description = "URL of the click queue (LINKPULSE_QUEUE_URL)."
  value       = aws_sqs_queue.this.url
}

output "queue_name" {
  description = "Name of the click queue."
  value       = aws_sqs_queue.this.name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_alarm_arn" {
  description = "ARN of the dead-letter queue depth alarm, or null when disabled."
  value       = one(aws_cloudwatch_metric_alarm.dlq[*].arn)
}
