-- Workers announce themselves: the console and the API show how many slots are busy. Rows of
-- workers that stopped announcing are pruned by the announcements of the others.
CREATE TABLE conveyor.workers (
    id          text PRIMARY KEY,
    queues      text[] NOT NULL,
    concurrency integer NOT NULL CHECK (concurrency > 0),
    busy        integer NOT NULL DEFAULT 0 CHECK (busy >= 0),
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);
