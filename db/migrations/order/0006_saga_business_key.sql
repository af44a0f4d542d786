-- The saga's business key (the order id) was called correlation_id, the name the envelopes and the
-- audit log give the request's correlation id: renamed, data and index kept.
ALTER TABLE "saga"."instances" RENAME COLUMN "correlation_id" TO "business_key";--> statement-breakpoint
ALTER INDEX "saga"."instances_type_correlation_idx" RENAME TO "instances_type_business_key_idx";