output "links_table_arn" {
  description = "ARN of the links table."
  value       = aws_dynamodb_table.links.arn
}

output "links_table_name" {
  description = "Name of the links table."
  value       = aws_dynamodb_table.links.name
}

output "clicks_table_arn" {
  description = "ARN of the click analytics table."
  value       = aws_dynamodb_table.clicks.arn
}

output "clicks_table_name" {
  description = "Name of the click analytics table."
  value       = aws_dynamodb_table.clicks.name
}
