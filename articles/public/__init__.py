"""What readers reach: views, lists, search, feeds, sitemaps, page cache, feedback, site pages."""
