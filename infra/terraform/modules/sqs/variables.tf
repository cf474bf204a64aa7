variable "name" {
  description = "Name of the click queue."
  type        = string
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the click queue, in seconds. Must be at least 6 x consumer_timeout_seconds + consumer_batching_window."
  type        = number
  default     = 180

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be 0-43200 (SQS limits)."
  }
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the function that consumes the queue, in seconds (checked against visibility_timeout_seconds)."
  type        = number
}

variable "consumer_batching_window" {
  description = "Batching window of the consumer's event source mapping, in seconds (messages wait in flight that long before the function even starts)."
  type        = number
  default     = 0
}

variable "message_retention_seconds" {
  description = "How long the click queue keeps a message, in seconds."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be 60-1209600 (SQS limits)."
  }
}

variable "receive_wait_time_seconds" {
  description = "Long-polling wait of both queues, in seconds (20 = fewest empty receives)."
  type        = number
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 1 && var.receive_wait_time_seconds <= 20
    error_message = "receive_wait_time_seconds must be 1-20: long polling on, within the SQS limit."
  }
}

variable "dlq_name" {
  description = "Name of the dead-letter queue; null means \"<name>-dlq\"."
  type        = string
  default     = null
}

variable "dlq_max_receive_count" {
  description = "Receives after which a message moves to the dead-letter queue (redrive maxReceiveCount; AWS recommends at least 5 for Lambda triggers)."
  type        = number
  default     = 5

  validation {
    condition     = var.dlq_max_receive_count >= 1 && var.dlq_max_receive_count <= 1000
    error_message = "dlq_max_receive_count must be 1-1000."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the dead-letter queue keeps a message, in seconds (default 14 days, the SQS maximum)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be 60-1209600 (SQS limits)."
  }
}

variable "dlq_alarm_enabled" {
  description = "Create a CloudWatch alarm that fires when the dead-letter queue holds any message."
  type        = bool
  default     = true
}

variable "dlq_alarm_period_seconds" {
  description = "Period of the dead-letter queue alarm, in seconds."
  type        = number
  default     = 300
}

variable "dlq_alarm_sns_topic_arn" {
  description = "SNS topic notified when the dead-letter queue alarm changes state; null for no notification."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
