CREATE TABLE "session_placements" (
	"session_id" text NOT NULL,
	"epoch" integer NOT NULL,
	"worker_id" text NOT NULL,
	"placed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_placements_session_id_epoch_pk" PRIMARY KEY("session_id","epoch")
);
--> statement-breakpoint
ALTER TABLE "session_placements" ADD CONSTRAINT "session_placements_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Backfill: every session placed now gets the row for the epoch it holds, so a worker's late events of that epoch are recognised after the next move. (The holders of older epochs were never recorded.)
INSERT INTO "session_placements" ("session_id", "epoch", "worker_id") SELECT "id", "epoch", "worker_id" FROM "sessions" WHERE "worker_id" IS NOT NULL ON CONFLICT DO NOTHING;
