//! The emulator's own tests (Python, `acceptance-tests/emulator/tests/test_*.py`): the AWS
//! rules and request validation it enforces, each checked with boto3 against an in-process
//! emulator. One Rust test per Python module, so nextest runs them in parallel and applies
//! its time limits.

use std::path::PathBuf;
use std::process::Command;

use mosia_acceptance_tests::emulator::repo_root;

fn emulator_dir() -> PathBuf {
    repo_root().join("acceptance-tests/emulator")
}

fn run_module(module: &str) {
    let root = repo_root();
    let python = std::env::var_os("MOSIA_EMULATOR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".tools/venv/bin/python"));
    assert!(
        python.exists(),
        "{} is missing: run `make tools` first",
        python.display()
    );
    let output = Command::new(&python)
        .args(["-m", "unittest", "-v", &format!("tests.{module}")])
        .env("PYTHONPATH", emulator_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AWS_ENDPOINT_URL")
        .current_dir(emulator_dir())
        .output()
        .expect("run python -m unittest");
    let report = String::from_utf8_lossy(&output.stderr);
    eprintln!("{report}");
    assert!(output.status.success(), "emulator tests in {module} failed");
}

macro_rules! python_modules {
    ($($module:ident),* $(,)?) => {
        $( #[test] fn $module() { run_module(stringify!($module)); } )*
        const MODULES: &[&str] = &[$(stringify!($module)),*];
    };
}

python_modules!(
    test_support,
    test_validation,
    test_rds_rules,
    test_rds_blue_green,
    test_elasticache_rules,
    test_elasticache_users,
    test_elasticache_auth_tokens,
    test_elasticache_parameter_groups,
    test_elasticache_pending,
    test_eks_rules,
    test_kafka_rules,
    test_kafka_configurations,
    test_kafka_scram,
    test_logs_keys,
    test_ec2_rules,
    test_aws_defaults,
    test_eks_access,
    test_eks_addon_tags,
    test_eks_addons,
    test_eks_cluster_config,
    test_eks_nodegroups,
    test_kms_logs,
    test_eks_cluster_sg,
    test_applicationautoscaling_rules,
    test_rds_kms,
    test_elasticache_kms,
    test_secretsmanager_kms,
    test_kms_policy,
    test_sns_rules,
    test_cloudwatch_alarms,
    test_budgets_rules,
    test_backup_rules,
    test_rds_insights,
    test_elasticache_logs,
    test_kafka_monitoring,
    test_ec2_flow_logs,
    test_logs_retention,
    test_autoscaling_nodegroups,
    test_elasticache_snapshots,
);

#[test]
fn every_python_module_is_run() {
    let mut found: Vec<String> = std::fs::read_dir(emulator_dir().join("tests"))
        .expect("list the emulator tests")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("test_") && n.ends_with(".py"))
        .map(|n| n.trim_end_matches(".py").to_string())
        .collect();
    found.sort();
    let mut listed: Vec<String> = MODULES.iter().map(|m| m.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "list every tests/test_*.py in python_modules!"
    );
}
