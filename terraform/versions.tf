terraform {
  # The bootstrap keeps its own state locally (the bucket it creates cannot hold the state
  # that creates it); see README.md for moving it into the bucket afterwards.
  required_version = ">= 1.0.0"

  required_providers {
    mosia = {
      source  = "mosia/mosia"
      version = ">= 0.1.0"
    }
  }
}
