terraform {
  # optional() object attributes with defaults need 1.3; 1.5 is the oldest release tested.
  required_version = ">= 1.5.0"

  required_providers {
    mosia = {
      source  = "mosia/mosia"
      version = ">= 0.1.0"
    }
  }
}
