variable "links_table_name" {
  description = "Name of the links table (LINKPULSE_LINKS_TABLE)."
  type        = string
  default     = "linkpulse-links"
}

variable "clicks_table_name" {
  description = "Name of the click analytics table (LINKPULSE_CLICKS_TABLE)."
  type        = string
  default     = "linkpulse-clicks"
}

variable "point_in_time_recovery_enabled" {
  description = "Enable point-in-time recovery (continuous backups, 35 days) on both tables ($0.20 per GB-month)."
  type        = bool
  default     = false
}

variable "server_side_encryption_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts both tables; null keeps DynamoDB's default encryption with an AWS-owned key (no KMS charge)."
  type        = string
  default     = null
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the tables (terraform destroy fails until this is turned off)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
