output "json" {
  description = "The trust policy document (JSON) for assume_role_policy."
  value       = data.aws_iam_policy_document.this.json
}
