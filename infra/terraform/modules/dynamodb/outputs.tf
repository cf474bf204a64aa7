output "links_table_arn" {
  description = "ARN of the links table."
  value       = aws_dynamodb_table.links.arn
}

output "links_table_name" {
  description = "Name of the links table."
  value       = aws_dynamodb_table.links.name
}

output "clicks_table_arn" {
  description = "ARN of the click analytics table (its GSI is \"<arn>/index/top\")."
  value       = aws_dynamodb_table.clicks.arn
}

output "clicks_table_name" {
  description = "Name of the click analytics table."
  value       = aws_dynamodb_table.clicks.name
}

output "clicks_top_index_name" {
  description = "Name of the clicks table's top-N global secondary index."
  value       = "top"
}
