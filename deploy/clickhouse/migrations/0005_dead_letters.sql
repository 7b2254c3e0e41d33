-- Messages that failed validation or processing, as they arrived on `<topic>.dlq`, so people can
-- inspect and replay them. Kept as a plain log (MergeTree): a redelivered dead letter is a
-- duplicate line in an audit trail, not a wrong answer.

CREATE TABLE IF NOT EXISTS dead_letters (
    topic LowCardinality(String),
    key String,
    error String,
    error_code LowCardinality(String) DEFAULT '',
    headers Map(LowCardinality(String), String),
    payload String CODEC(ZSTD(1)),
    received_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(received_at)
ORDER BY (topic, received_at);
