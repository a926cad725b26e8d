"""Google Cloud, as far as trendreel's tests need it and the emulators do not give it: the
services infra/ deploys (``infra``), Cloud Run's front end (``edge``), Google's ID tokens
(``identity``) and Cloud Scheduler (``scheduler``)."""
