variable "name" {
  description = "Name of the HTTP API."
  type        = string
}

variable "description" {
  description = "Description of the HTTP API."
  type        = string
  default     = ""
}

variable "functions" {
  description = "Lambda functions behind the API, keyed by a short name the routes refer to; each gets one proxy integration and one invoke permission."
  type = map(object({
    function_name = string
    invoke_arn    = string
  }))
}

variable "routes" {
  description = "Function key (of var.functions) by route key: \"METHOD /path\" (e.g. \"GET /{code}\") or \"$default\" (every request no other route matches)."
  type        = map(string)

  validation {
    condition     = alltrue([for key in keys(var.routes) : key == "$default" || can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /", key))])
    error_message = "Every route key must be \"$default\" or look like \"METHOD /path\"."
  }
}

variable "integration_timeout_milliseconds" {
  description = "How long API Gateway waits for a function, in milliseconds (HTTP API maximum 30000)."
  type        = number
  default     = 10000

  validation {
    condition     = var.integration_timeout_milliseconds >= 50 && var.integration_timeout_milliseconds <= 30000
    error_message = "integration_timeout_milliseconds must be 50-30000."
  }
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser."
  type        = list(string)
  default     = ["*"]
}

variable "cors_allow_methods" {
  description = "HTTP methods allowed in cross-origin calls."
  type        = list(string)
  default     = ["GET", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"]
}

variable "cors_allow_headers" {
  description = "Request headers allowed in cross-origin calls (keys travel in authorization or x-api-key)."
  type        = list(string)
  default     = ["content-type", "authorization", "x-api-key"]
}

variable "cors_expose_headers" {
  description = "Response headers a browser script may read."
  type        = list(string)
  default     = ["location"]
}

variable "cors_max_age" {
  description = "Seconds a browser may cache a preflight answer."
  type        = number
  default     = 600
}

variable "throttling_burst_limit" {
  description = "Burst limit of every route on the $default stage (requests), unless route_throttling sets the route's own."
  type        = number
  default     = 500

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of requests, 0 or more."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state limit of every route on the $default stage (requests per second), unless route_throttling sets the route's own."
  type        = number
  default     = 1000

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be 0 or more requests per second."
  }
}

variable "route_throttling" {
  description = "Per-route throttling on the $default stage, by route key (of var.routes): burst_limit (requests) and rate_limit (requests per second) for all clients of that route together. Routes not listed use throttling_burst_limit and throttling_rate_limit."
  type = map(object({
    burst_limit = number
    rate_limit  = number
  }))
  default = {}

  validation {
    condition     = alltrue([for key, limits in var.route_throttling : limits.burst_limit >= 0 && floor(limits.burst_limit) == limits.burst_limit && limits.rate_limit >= 0])
    error_message = "Every route_throttling entry needs a whole burst_limit >= 0 and a rate_limit >= 0."
  }
}

variable "access_log_retention_in_days" {
  description = "Days the access log group keeps events (one of the CloudWatch Logs retention values)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_in_days)
    error_message = "access_log_retention_in_days must be a CloudWatch Logs retention value; 0 (never expire) is not allowed."
  }
}

variable "access_log_kms_key_arn" {
  description = "KMS key that encrypts the access log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
