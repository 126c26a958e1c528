terraform {
  required_providers {
    mosia = {
      source  = "mosia/mosia"
      version = ">= 0.1.0"
    }
  }
}

# Credentials come from the standard AWS chain (environment, shared files, SSO, roles).
provider "mosia" {
  region = "eu-central-1"

  # One endpoint for every service, for LocalStack or the project's emulator:
  # endpoint = "http://127.0.0.1:4566"

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/platform-terraform"
    session_name = "terraform"
  }

  default_tags {
    tags = {
      "managed-by" = "terraform"
      "team"       = "platform"
    }
  }
}
