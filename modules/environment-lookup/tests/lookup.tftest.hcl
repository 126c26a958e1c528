# The lookup module's validation and outputs, with a mocked provider.

mock_provider "mosia" {
  mock_data "mosia_environment" {
    defaults = {
      tier = "production"
    }
  }
}

run "name_is_an_environment_name" {
  command = plan
  variables {
    name = "Acme_Staging"
  }
  expect_failures = [var.name]
}

run "outputs_follow_the_data_source" {
  command = apply
  variables {
    name = "acme-staging"
  }
  assert {
    condition     = data.mosia_environment.this.name == "acme-staging"
    error_message = "the data source reads the named environment."
  }
  assert {
    condition     = output.tier == "production"
    error_message = "outputs carry the data source's values."
  }
}
