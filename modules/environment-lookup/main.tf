# Reads an environment another stack owns (its parts are found by Mosia's ownership tags), so
# application stacks can take endpoints, the database secret ARN and brokers without access to
# that stack's state.
data "mosia_environment" "this" {
  name = var.name
}
