variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "linkpulse-example"
}

variable "environment" {
  description = "Environment tag put on every resource."
  type        = string
  default     = "example"
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser (e.g. where the demo page is hosted)."
  type        = list(string)
  default     = ["*"]
}

variable "alarm_email" {
  description = "E-mail address subscribed to the dead-letter alarm (confirm the subscription mail); null for none."
  type        = string
  default     = null
}
