terraform {
  required_version = ">= 1.5.0"

  required_providers {
    mosia = {
      source  = "mosia/mosia"
      version = ">= 0.1.0"
    }
  }
}
