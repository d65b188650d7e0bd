-- Announces friend-graph changes on channel presence_friend_graph for presence friend caches.
CREATE OR REPLACE FUNCTION "presence_notify_friendship_change"() RETURNS trigger LANGUAGE plpgsql AS $presence$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD."accepted_at" IS NOT NULL THEN
      PERFORM pg_notify('presence_friend_graph', json_build_array(OLD."user_id1", OLD."user_id2")::text);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW."accepted_at" IS NOT NULL THEN
      PERFORM pg_notify('presence_friend_graph', json_build_array(NEW."user_id1", NEW."user_id2")::text);
    END IF;
  END IF;
  RETURN NULL;
END
$presence$;
DROP TRIGGER IF EXISTS "presence_friendship_changed" ON "friendship_table";
CREATE TRIGGER "presence_friendship_changed"
  AFTER INSERT OR DELETE OR UPDATE OF "user_id1", "user_id2", "accepted_at"
  ON "friendship_table" FOR EACH ROW EXECUTE FUNCTION "presence_notify_friendship_change"();

CREATE OR REPLACE FUNCTION "presence_notify_sharing_change"() RETURNS trigger LANGUAGE plpgsql AS $presence$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('presence_friend_graph', json_build_array(OLD."user_id")::text);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW."user_id" IS DISTINCT FROM OLD."user_id") THEN
    PERFORM pg_notify('presence_friend_graph', json_build_array(NEW."user_id")::text);
  END IF;
  RETURN NULL;
END
$presence$;
DROP TRIGGER IF EXISTS "presence_sharing_changed" ON "user_table";
CREATE TRIGGER "presence_sharing_changed"
  AFTER INSERT OR DELETE OR UPDATE OF "user_id", "share_mode", "domain_allow_array", "domain_deny_array"
  ON "user_table" FOR EACH ROW EXECUTE FUNCTION "presence_notify_sharing_change"();
