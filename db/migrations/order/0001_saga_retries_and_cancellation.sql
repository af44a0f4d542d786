ALTER TABLE "saga"."instances" ADD COLUMN "cancelled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "saga"."instances" ADD COLUMN "retry_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "saga"."instances" ADD COLUMN "trace_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "instances_retry_idx" ON "saga"."instances" USING btree ("retry_at") WHERE "saga"."instances"."retry_at" is not null;