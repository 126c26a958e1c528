"""Runs LocalStack as `python -m localstack.runtime.main` does (scripts/localstack.sh starts
it so), with S3's object storage under $FILESYSTEM_ROOT: localstack-core 2026.3.0 hard-codes
/tmp/localstack-s3-storage, which every LocalStack on the machine would share (two runs with
the same bucket names would mix their objects) and which is left behind after a stop."""

import os
import runpy

from localstack.services.s3 import provider as s3_provider

s3_provider.DEFAULT_S3_TMP_DIR = os.path.join(os.environ["FILESYSTEM_ROOT"], "s3-storage")
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
