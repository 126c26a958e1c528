# An application stack reads the staging environment another stack owns.
data "mosia_environment" "staging" {
  name = "acme-staging"
}

output "database_host" {
  value = data.mosia_environment.staging.rds_endpoint
}

output "database_secret_arn" {
  value = data.mosia_environment.staging.rds_master_user_secret_arn
}

output "kafka_brokers" {
  value = data.mosia_environment.staging.msk_bootstrap_brokers_iam
}
