-- A campaign's brand colour (#rrggbb), the background of its generated share card.
ALTER TABLE campaigns ADD COLUMN brand_color TEXT;
