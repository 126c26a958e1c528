//! terraform-provider-mosia: started by Terraform, never by hand (except with `--debug`, or
//! `--version` to print its version).

/// The release version, as in the archive names of `make release`.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> std::process::ExitCode {
    if std::env::args()
        .skip(1)
        .any(|a| a == "--version" || a == "-version")
    {
        println!("terraform-provider-mosia {VERSION}");
        return std::process::ExitCode::SUCCESS;
    }
    mosia_tfplugin::serve::main(
        terraform_provider_mosia::MosiaProvider::new(),
        "provider.terraform-provider-mosia",
        VERSION,
    )
}
