//! terraform-provider-mosia: started by Terraform, never by hand (except with `--debug`).

fn main() -> std::process::ExitCode {
    mosia_tfplugin::serve::main(
        terraform_provider_mosia::MosiaProvider::new(),
        "provider.terraform-provider-mosia",
    )
}
