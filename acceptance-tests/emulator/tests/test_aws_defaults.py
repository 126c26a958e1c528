"""What AWS answers that moto answered otherwise, found by running the same requests against
a real LocalStack (acceptance-tests/emulator/README.md, "LocalStack differences")."""

from __future__ import annotations

from .support import EmulatorCase


class NewBucketDefaultsTest(EmulatorCase):
    def test_a_new_bucket_is_encrypted_private_and_owner_enforced(self) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket="mosia-defaults")
        rules = s3.get_bucket_encryption(Bucket="mosia-defaults")[
            "ServerSideEncryptionConfiguration"]["Rules"]
        self.assertEqual(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
        block = s3.get_public_access_block(Bucket="mosia-defaults")["PublicAccessBlockConfiguration"]
        self.assertEqual(set(block.values()), {True}, block)
        ownership = s3.get_bucket_ownership_controls(Bucket="mosia-defaults")
        self.assertEqual(ownership["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
                         "BucketOwnerEnforced")

    def test_settings_given_later_replace_the_defaults(self) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket="mosia-kms")
        s3.put_bucket_encryption(Bucket="mosia-kms", ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
        rules = s3.get_bucket_encryption(Bucket="mosia-kms")["ServerSideEncryptionConfiguration"]["Rules"]
        self.assertEqual(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms")


class SecretsManagerErrorsTest(EmulatorCase):
    def test_an_unknown_secret_is_a_400_resource_not_found(self) -> None:
        sm = self.client("secretsmanager")
        error = self.assertAwsError("ResourceNotFoundException", sm.describe_secret, SecretId="nope")
        self.assertEqual(error.response["ResponseMetadata"]["HTTPStatusCode"], 400)


class IamPolicyDocumentsTest(EmulatorCase):
    def test_a_trust_policy_that_is_not_json_is_malformed(self) -> None:
        iam = self.client("iam")
        self.assertAwsError("MalformedPolicyDocument", iam.create_role, RoleName="broken",
                            AssumeRolePolicyDocument="{not json", message="invalid Json")
        trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                 '"Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
        self.assertEqual(iam.create_role(RoleName="fine", AssumeRolePolicyDocument=trust)
                         ["Role"]["RoleName"], "fine")
