-- Uploaded files. The bytes live in a FileStorage (local disk under the data directory), named by
-- storage_key; a row is 'ready' only once its bytes are stored completely. The upload URL's secret
-- is kept as a SHA-256 hash only, like every other secret. A pending row whose upload window has
-- passed reads as 'failed' (see files/FileStore), so nothing has to sweep the table.
create table files (
    id                text primary key,
    -- who may read and attach the file: a user id, a company id (company key), an app id (app key) or 'admin'
    owner_key         text not null,
    filename          text not null,
    content_type      text not null,
    visibility        text not null check (visibility in ('public', 'private')),
    upload_status     text not null check (upload_status in ('pending', 'ready')),
    size              bigint,
    sha256            text,
    storage_key       text,
    upload_token_hash bytea not null,
    upload_expires_at timestamptz not null,
    created_at        timestamptz not null default now(),
    ready_at          timestamptz,
    check ((upload_status = 'ready') = (size is not null and sha256 is not null and storage_key is not null and ready_at is not null))
);
