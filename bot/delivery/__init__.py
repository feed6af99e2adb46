"""Getting updates in durably and messages out reliably: poller, inbox worker, outbox worker."""
