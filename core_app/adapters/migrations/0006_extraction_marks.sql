-- What a restore of the core rewinds, for the extract/load to notice.
--
-- Each run of the tap writes a mark here just after taking its snapshot, and keeps the mark's id
-- with the bookmarks it saves. Every transaction below the run's watermark had finished before the
-- mark was written, so a copy of the database that still holds the mark holds all of them, and
-- its next transactions get ids above the watermark. A restore from a copy taken before the mark
-- loses it: the next run then knows that its bookmarks are no longer below every new row (new
-- transactions reuse the ids after the copy's) and reads the affected streams again.
-- Written by the extractor only; never extracted.

CREATE TABLE extraction_marks (
    id         uuid        PRIMARY KEY,
    watermark  xid8        NOT NULL,  -- of the run that wrote it
    written_at timestamptz NOT NULL DEFAULT now()
);
