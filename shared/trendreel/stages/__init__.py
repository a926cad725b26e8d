"""The five pipeline stages. Each module exposes ``run(job, ctx) -> StageResult``, reads its
inputs from and writes its outputs to the blob store at ``jobs/{job_id}/{stage}/...``."""
