mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  bucket_name = "conveyor-tfstate-123456789012"
}

run "state_is_versioned_encrypted_and_private" {
  command = apply

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "State must be versioned: an older version is the way back from a bad apply."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "State must be encrypted with the bucket's KMS key."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "Every public access path must be blocked."
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "The state key must rotate."
  }

  assert {
    condition     = output.kms_key_arn == aws_kms_key.state.arn && output.bucket == aws_s3_bucket.state.bucket
    error_message = "Environments read the bucket and key from the outputs."
  }
}

run "rejects_an_invalid_bucket_name" {
  command = plan

  variables {
    bucket_name = "Conveyor_State"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_a_short_undo_window" {
  command = plan

  variables {
    noncurrent_version_days = 7
  }

  expect_failures = [var.noncurrent_version_days]
}
