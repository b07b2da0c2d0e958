module manytables

go 1.24
