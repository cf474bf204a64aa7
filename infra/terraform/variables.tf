variable "name" {
  description = "Prefix of every resource name (functions are \"<name>-shortener\", ...; the API and KMS alias are \"<name>\")."
  type        = string
  default     = "linkpulse"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.name))
    error_message = "name must be 1-40 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "artifact_path" {
  description = "Path of the deployment zip built by `linkpulse package --output dist/linkpulse-lambda.zip`, relative to the directory terraform runs in."
  type        = string
  default     = "../../dist/linkpulse-lambda.zip"
}

variable "lambda_runtime" {
  description = "Lambda runtime of all functions."
  type        = string
  default     = "python3.12"
}

variable "lambda_architecture" {
  description = "Instruction set of all functions (x86_64 or arm64); must match the wheels bundled in the artifact (linkpulse package --architecture, arm64 by default)."
  type        = string
  default     = "arm64"
}

variable "lambda_tracing_mode" {
  description = "X-Ray tracing of all functions (opt-in): Active records about every request at low traffic ($5 per million traces beyond the free 100k, about $5 per 1M redirects); PassThrough records none, as HTTP APIs start no traces."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["Active", "PassThrough"], var.lambda_tracing_mode)
    error_message = "lambda_tracing_mode must be Active or PassThrough."
  }
}

variable "lambda_log_format" {
  description = "Format of the functions' logs: JSON lets Lambda filter system and application logs by level."
  type        = string
  default     = "JSON"

  validation {
    condition     = contains(["JSON", "Text"], var.lambda_log_format)
    error_message = "lambda_log_format must be JSON or Text."
  }
}

variable "lambda_system_log_level" {
  description = "Lambda's own log lines kept (JSON format only): WARN drops the START/END/REPORT lines of every invocation (~250 bytes each; durations stay in CloudWatch metrics), INFO keeps them."
  type        = string
  default     = "WARN"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.lambda_system_log_level)
    error_message = "lambda_system_log_level must be DEBUG, INFO or WARN."
  }
}

variable "api_memory_size" {
  description = "Memory (MB) of the request-path functions: shortener, redirect, stats."
  type        = number
  default     = 256
}

variable "api_timeout" {
  description = "Timeout (s) of the request-path functions; API Gateway gives up after 10 s anyway."
  type        = number
  default     = 10
}

variable "analytics_memory_size" {
  description = "Memory (MB) of the analytics (queue consumer) function."
  type        = number
  default     = 256
}

variable "analytics_timeout" {
  description = "Timeout (s) of the analytics function; the queue's visibility timeout must be at least 6x this."
  type        = number
  default     = 30
}

variable "analytics_batch_size" {
  description = "Most messages per analytics invocation (SQS event source mapping batch size; above 10 needs a batching window). Clicks of one batch that bump the same counter item cost one write."
  type        = number
  default     = 1000

  validation {
    condition     = var.analytics_batch_size >= 1 && var.analytics_batch_size <= 10000
    error_message = "analytics_batch_size must be 1-10000 (the SQS event source mapping's limit)."
  }
}

variable "analytics_batching_window_seconds" {
  description = "Seconds the event source mapping gathers clicks before invoking analytics: stats lag by up to this much, and at low traffic every click of the window shares one invocation and one write per counter item."
  type        = number
  default     = 300

  validation {
    condition     = var.analytics_batching_window_seconds >= 0 && var.analytics_batching_window_seconds <= 300
    error_message = "analytics_batching_window_seconds must be 0-300."
  }
}

variable "analytics_maximum_concurrency" {
  description = "Most concurrent analytics invocations the event source mapping starts (2-1000), or null for no cap. A cap keeps 5 pollers long-polling at all times; without one Lambda goes down to 2 at low traffic (fewer SQS requests)."
  type        = number
  default     = null

  validation {
    condition     = var.analytics_maximum_concurrency == null || (coalesce(var.analytics_maximum_concurrency, 2) >= 2 && coalesce(var.analytics_maximum_concurrency, 2) <= 1000)
    error_message = "analytics_maximum_concurrency must be null or 2-1000."
  }
}

variable "analytics_reserved_concurrent_executions" {
  description = "Concurrency reserved for the analytics function; -1 for none (new accounts with a limit of 10 cannot reserve any)."
  type        = number
  default     = -1
}

variable "links_table_name" {
  description = "Name of the DynamoDB links table."
  type        = string
  default     = "linkpulse-links"
}

variable "clicks_table_name" {
  description = "Name of the DynamoDB click analytics table."
  type        = string
  default     = "linkpulse-clicks"
}

variable "point_in_time_recovery_enabled" {
  description = "Point-in-time recovery of both tables (opt-in, $0.20 per GB-month: about $0.20 per 1M redirects a month with 90-day clicks)."
  type        = bool
  default     = false
}

variable "deletion_protection_enabled" {
  description = "Protect both tables from deletion (turn off before terraform destroy)."
  type        = bool
  default     = false
}

variable "click_retention_days" {
  description = "Days raw click rows are kept (DynamoDB TTL); they are the deduplication keys, so they must outlive queue + DLQ retention."
  type        = number
  default     = 90
}

variable "queue_name" {
  description = "Name of the SQS click queue."
  type        = string
  default     = "linkpulse-clicks"
}

variable "queue_visibility_timeout_seconds" {
  description = "Visibility timeout (s) of the click queue; must be at least 6 x analytics_timeout + analytics_batching_window_seconds (AWS guidance for SQS event sources)."
  type        = number
  default     = 480
}

variable "queue_message_retention_seconds" {
  description = "Seconds the click queue keeps an unprocessed click (default 4 days)."
  type        = number
  default     = 345600
}

variable "dlq_name" {
  description = "Name of the dead-letter queue."
  type        = string
  default     = "linkpulse-clicks-dlq"
}

variable "dlq_max_receive_count" {
  description = "Receives after which a click moves to the dead-letter queue (AWS recommends at least 5 for Lambda triggers, so throttled invocations do not dead-letter good clicks)."
  type        = number
  default     = 5
}

variable "dlq_message_retention_seconds" {
  description = "Seconds the dead-letter queue keeps a click (default 14 days, the SQS maximum)."
  type        = number
  default     = 1209600
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the alarms notify (dead-letter queue not empty, clicks waiting, error ratio: alarms.tf); null for alarms without notification."
  type        = string
  default     = null
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser."
  type        = list(string)
  default     = ["*"]
}

variable "base_url" {
  description = "Public base of short URLs (e.g. https://lp.example behind a custom domain); empty = the API's own URL, taken from each request."
  type        = string
  default     = ""
}

variable "api_throttling_burst_limit" {
  description = "Burst limit (requests) of every API route not in api_route_throttling."
  type        = number
  default     = 500

  validation {
    condition     = var.api_throttling_burst_limit >= 0 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number of requests, 0 or more."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady-state limit (requests per second) of every API route not in api_route_throttling."
  type        = number
  default     = 1000

  validation {
    condition     = var.api_throttling_rate_limit >= 0
    error_message = "api_throttling_rate_limit must be 0 or more requests per second."
  }
}

variable "api_route_throttling" {
  description = "Throttling of the routes that write, by route key: burst_limit (requests) and rate_limit (requests per second), for all clients of the route together. The per-client limit is create_rate_limit."
  type = map(object({
    burst_limit = number
    rate_limit  = number
  }))
  default = {
    "POST /shorten"               = { burst_limit = 50, rate_limit = 20 }
    "POST /api/v1/links"          = { burst_limit = 50, rate_limit = 20 }
    "PATCH /api/v1/links/{code}"  = { burst_limit = 20, rate_limit = 10 }
    "DELETE /api/v1/links/{code}" = { burst_limit = 20, rate_limit = 10 }
    "POST /api/v1/keys"           = { burst_limit = 5, rate_limit = 1 }
    "DELETE /api/v1/keys/{name}"  = { burst_limit = 5, rate_limit = 1 }
  }

  validation {
    condition     = alltrue([for key, limits in var.api_route_throttling : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD) /", key)) && limits.burst_limit >= 0 && floor(limits.burst_limit) == limits.burst_limit && limits.rate_limit >= 0])
    error_message = "api_route_throttling keys must be route keys (\"POST /shorten\") with a whole burst_limit >= 0 and a rate_limit >= 0."
  }
}

variable "create_rate_limit" {
  description = "Writes (link creation, link and key management) per API key, or per client IP when anonymous, counted in DynamoDB across every function instance (LINKPULSE_CREATE_RATE_LIMIT): N/second, N/minute, N/hour or off."
  type        = string
  default     = "60/minute"

  validation {
    condition     = can(regex("^([1-9][0-9]*/(second|minute|hour)|off)$", var.create_rate_limit))
    error_message = "create_rate_limit must be N/second, N/minute, N/hour (N >= 1) or off."
  }
}

variable "log_level" {
  description = "Log level of the functions (POWERTOOLS_LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "cloudwatch_logs_retention_in_days" {
  description = "Days every log group (functions and API access logs) keeps events."
  type        = number
  default     = 30
}

variable "customer_managed_key_enabled" {
  description = "Encrypt the tables, function environments and log groups with a customer-managed KMS key of this stack (opt-in: $1 a month, $2 in the second year and $3 from the third as rotations add up, plus requests). Off: AWS-owned keys, free."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_in_days" {
  description = "Days a scheduled deletion of the stack's KMS key (customer_managed_key_enabled) waits (7-30) before the key and everything it encrypts become unreadable."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be 7-30."
  }
}
