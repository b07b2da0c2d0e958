module corrupt

go 1.21
