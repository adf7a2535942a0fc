// The ztna executable: command-line parsing only; the work is done by the library targets.
await ZTNACommand.start()
