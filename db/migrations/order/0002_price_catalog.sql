CREATE TABLE "orders"."catalog" (
	"product_id" uuid PRIMARY KEY NOT NULL,
	"sku" text NOT NULL,
	"price_cents" bigint NOT NULL,
	"currency" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
