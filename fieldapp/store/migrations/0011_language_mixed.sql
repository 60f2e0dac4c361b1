-- 0011: one code for an interview held in both Chinese and English. Earlier desktop versions
-- stored "zh+en" while the export, the demo and the command line said "mixed". The value is
-- rewritten in the change log as well as in the table, so that the replay of `fieldapp check`
-- and every bundle sent from now on carry the one code. Every device runs this migration, so
-- they all agree; a "zh+en" still arriving from a device not yet updated is shown as "mixed"
-- (fieldapp.domain.vocabulary.ALIASES).
UPDATE ops SET "values" = json_set("values", '$.language', 'mixed')
 WHERE entity = 'interview' AND json_extract("values", '$.language') = 'zh+en';
UPDATE interview SET language = 'mixed' WHERE language = 'zh+en';
