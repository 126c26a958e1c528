# An environment is imported by its name. Its parts are found by Mosia's ownership tags and the
# configuration they were created from is rebuilt, so the next plan shows only real differences.
# The tier is not recorded in AWS: it is inferred from the settings (a wrong guess shows as a
# change of `tier` alone, which changes nothing in AWS).
terraform import mosia_environment.staging acme-staging

# Or, with Terraform 1.5 and later:
#   import {
#     to = mosia_environment.staging
#     id = "acme-staging"
#   }
