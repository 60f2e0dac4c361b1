-- 0008: case attributes. Typed attributes of participants and organisations (defined beside
-- the codebook, shared like it) and their values, one record per (attribute, case).
CREATE TABLE attribute (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "name" TEXT,
    "applies_to" TEXT,
    "type" TEXT,
    "label_zh" TEXT,
    "label_en" TEXT,
    "choices" TEXT,
    "sort_order" INTEGER
);

-- A value is erased with its participant (consent withdrawn); organisations are never erased.
CREATE TABLE attribute_value (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "attribute_id" TEXT,
    "participant_id" TEXT,
    "organisation_id" TEXT,
    "value" TEXT
);
CREATE INDEX attribute_value_attribute ON attribute_value(attribute_id);
CREATE INDEX attribute_value_participant ON attribute_value(participant_id);
CREATE INDEX attribute_value_organisation ON attribute_value(organisation_id);
