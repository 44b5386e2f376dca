-- The W3C traceparent of the request that started a job, so that its trace follows it through
-- the outbox and RabbitMQ into the worker (and into every retry re-published from here).
ALTER TABLE jobs ADD COLUMN trace_parent text;
ALTER TABLE outbox ADD COLUMN trace_parent text;
