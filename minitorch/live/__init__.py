"""Live training for the playgrounds, without Qt: a `session.TrainingSession` runs commands and
trains in slices, sending frames; `process` runs a session in a child process and carries its
messages. Importing this package is cheap: the training toolkit loads when a session starts."""
