variable "function_name" {
  description = "Name of the Lambda function (also names its role and log group)."
  type        = string
}

variable "description" {
  description = "Description of the Lambda function."
  type        = string
  default     = ""
}

variable "handler" {
  description = "Entry point inside the artifact, e.g. linkpulse.aws_lambda.redirect.handler."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "Instruction set of the function: x86_64 or arm64 (must match any compiled wheels in the artifact)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "artifact_path" {
  description = "Path of the deployment zip (built by `linkpulse package`)."
  type        = string
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be 128-10240 MB."
  }
}

variable "timeout" {
  description = "Timeout of one invocation, in seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be 1-900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) this function; -1 means no reservation, using the account's unreserved pool."
  type        = number
  default     = -1
}

variable "environment_variables" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Customer managed KMS key that encrypts the environment variables at rest; null uses the AWS managed key."
  type        = string
  default     = null
}

variable "log_format" {
  description = "Format of the function's logs (JSON or Text); JSON lets Lambda filter them by level."
  type        = string
  default     = "JSON"

  validation {
    condition     = contains(["JSON", "Text"], var.log_format)
    error_message = "log_format must be JSON or Text."
  }
}

variable "system_log_level" {
  description = "Lambda's own log lines kept with the JSON format: WARN drops START/END/REPORT of every invocation."
  type        = string
  default     = "WARN"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active (sample and trace requests; adds the X-Ray write policy) or PassThrough (trace only when the caller did)."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "policy_statements" {
  description = "Permissions of the function's role, keyed by purpose: each an allow statement with exact actions and resource ARNs (no wildcards)."
  type = map(object({
    actions   = list(string)
    resources = list(string)
  }))
  default = {}

  validation {
    condition = alltrue(flatten([
      for statement in values(var.policy_statements) : concat(
        [for action in statement.actions : !strcontains(action, "*")],
        [for resource in statement.resources : resource != "*"],
      )
    ]))
    error_message = "policy_statements must name exact actions (no \"*\") and must not grant resource \"*\"."
  }
}

variable "role_name" {
  description = "Name of the execution role; null means the function name."
  type        = string
  default     = null
}

variable "cloudwatch_logs_retention_in_days" {
  description = "Days the function's log group keeps events (one of the CloudWatch Logs retention values)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudwatch_logs_retention_in_days)
    error_message = "cloudwatch_logs_retention_in_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ...); 0 (never expire) is not allowed."
  }
}

variable "cloudwatch_logs_kms_key_arn" {
  description = "KMS key that encrypts the function's log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
