terraform {
  # Partial configuration: bucket, region, use_lockfile and encrypt come from ../backend.hcl
  # (`terraform -chdir=../../terraform output -raw backend_hcl > ../backend.hcl`), the key at init:
  #   terraform init -backend-config=../backend.hcl -backend-config="key=production/terraform.tfstate"
  backend "s3" {}
}
