"""Representatives: organisations act for their clients under a mandate (§ 14 VwVfG), never as themselves."""
